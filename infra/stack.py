"""The payment stack: validate config, build the function code, wire the components, export."""

from typing import Any

import pulumi
import pulumi_aws as aws

from infra.api import PaymentApi, PaymentApiArgs
from infra.audit_trail import AuditTrail, AuditTrailArgs
from infra.backup import Backup, BackupArgs
from infra.config import PROJECT_ROOT, Settings, load_settings
from infra.database import Table, TableArgs
from infra.errors import StackError
from infra.functions import Function, FunctionArgs, powertools_layer_arn
from infra.iam import LambdaRole, LambdaRoleArgs, PaymentData
from infra.inventory import (
    API_FUNCTION,
    AUDIT_TRAIL_BUCKET,
    CODE_BUCKET,
    CUSTOMERS_TABLE,
    PAYMENT_DATA_PACKAGES,
    RECEIPTS_BUCKET,
    TRANSACTIONS_TABLE,
    Inventory,
    load_inventory,
)
from infra.kms import Key, KeyArgs
from infra.monitoring import Monitoring, MonitoringArgs
from infra.storage import Bucket, BucketArgs
from infra.tags import resource_tags, stack_tags
from infra.waf import WebAcl, WebAclArgs
from lambda_packages.packaging import BuiltPackage, PackagingError, build_package

BUILD_DIR = PROJECT_ROOT / "build" / "lambda"


def build_code(inventory: Inventory) -> dict[str, BuiltPackage]:
    """One reproducible zip per package the inventory's functions use, built once each."""
    packages = sorted({function.package for function in inventory.functions})
    try:
        return {package: build_package(package, BUILD_DIR) for package in packages}
    except PackagingError as error:
        raise StackError(str(error)) from None


def build() -> dict[str, pulumi.Output[Any]]:
    """Register the whole stack and export its outputs; config errors raise before anything."""
    settings = load_settings()
    inventory = load_inventory(settings)
    code = build_code(inventory)
    return _register(settings, inventory, code)


def _register(
    settings: Settings, inventory: Inventory, code: dict[str, BuiltPackage]
) -> dict[str, pulumi.Output[Any]]:
    names = settings.names
    tags = stack_tags(settings)
    account_id = aws.get_caller_identity_output().account_id
    protect = settings.protect

    prefix: pulumi.Output[str] = pulumi.Output.from_input(settings.bucket_prefix or account_id)

    def bucket_name(name: str) -> pulumi.Output[str]:
        return prefix.apply(lambda value: names.bucket(value, name))

    payment_data = PaymentData(
        transactions_table=names.table(TRANSACTIONS_TABLE),
        customers_table=names.table(CUSTOMERS_TABLE),
        receipts_bucket_name=bucket_name(RECEIPTS_BUCKET),
        identifier_key_parameter=names.identifier_key_parameter,
    )
    roles = {
        spec.name: LambdaRole(
            f"role-{spec.name}",
            LambdaRoleArgs(
                names=names,
                region=settings.region,
                account_id=account_id,
                function=spec.name,
                data=payment_data if spec.package in PAYMENT_DATA_PACKAGES else None,
                tags=tags,
            ),
        )
        for spec in inventory.functions
    }
    key_users = [role for role in roles.values() if role.uses_data]
    key = Key(
        "payments-key",
        KeyArgs(
            names=names,
            region=settings.region,
            account_id=account_id,
            users=key_users,
            tags=tags,
            protect=protect,
        ),
    ).key

    buckets = {
        spec.name: Bucket(
            f"bucket-{spec.name}",
            BucketArgs(
                physical_name=bucket_name(spec.name),
                kms_key_arn=key.arn,
                tags=resource_tags(tags, spec.tags),
                protect=protect,
            ),
        ).bucket
        for spec in inventory.buckets
    }
    tables = {
        spec.name: Table(
            f"table-{spec.name}",
            TableArgs(
                spec=spec,
                physical_name=names.table(spec.name),
                kms_key_arn=key.arn,
                tags=resource_tags(tags, spec.tags),
                protect=protect,
            ),
        ).table
        for spec in inventory.tables
    }
    trail = AuditTrail(
        "payments-audit-trail",
        AuditTrailArgs(
            names=names,
            region=settings.region,
            account_id=account_id,
            log_bucket_name=bucket_name(AUDIT_TRAIL_BUCKET),
            kms_key_arn=key.arn,
            bucket_names=[bucket_name(spec.name) for spec in inventory.buckets],
            table_names=[names.table(spec.name) for spec in inventory.tables],
            tags=tags,
            protect=protect,
        ),
    ).trail
    Backup(
        "payments-backup",
        BackupArgs(
            names=names,
            region=settings.region,
            account_id=account_id,
            kms_key_arn=key.arn,
            tables={name: table.arn for name, table in tables.items()},
            retention_days=settings.backup_retention_days,
            tags=tags,
            protect=protect,
        ),
    )
    environment: dict[str, pulumi.Input[str]] = {
        "TRANSACTIONS_TABLE": tables[TRANSACTIONS_TABLE].name,
        "CUSTOMERS_TABLE": tables[CUSTOMERS_TABLE].name,
        "RECEIPTS_BUCKET": buckets[RECEIPTS_BUCKET].bucket,
        "RECEIPTS_KMS_KEY_ID": key.arn,
        "ID_KEY_PARAMETER": names.identifier_key_parameter,
        "ENVIRONMENT": settings.environment,
        "MAX_AMOUNT": settings.max_amount,
        "ALLOWED_CURRENCIES": ",".join(settings.allowed_currencies),
    }
    functions = {
        spec.name: Function(
            f"function-{spec.name}",
            FunctionArgs(
                spec=spec,
                names=names,
                code=code[spec.package],
                code_bucket=buckets[CODE_BUCKET].id,
                role_arn=roles[spec.name].role.arn,
                kms_key_arn=key.arn,
                environment=environment,
                layer_arn=powertools_layer_arn(
                    settings.region, spec.runtime, settings.powertools_layer_version
                ),
                reserved_concurrency=settings.reserved_concurrency,
                log_retention_days=settings.log_retention_days,
                tags=resource_tags(tags, spec.tags),
            ),
        ).function
        for spec in inventory.functions
    }
    waf = WebAcl(
        "payments-waf",
        WebAclArgs(
            names=names,
            rate_limit=settings.waf_rate_limit,
            kms_key_arn=key.arn,
            log_retention_days=settings.log_retention_days,
            tags=tags,
        ),
    ).web_acl
    api = PaymentApi(
        "payments-api",
        PaymentApiArgs(
            names=names,
            region=settings.region,
            account_id=account_id,
            function=functions[API_FUNCTION],
            web_acl_arn=waf.arn,
            authorization=settings.api_authorization,
            throttling_rate_limit=settings.throttling_rate_limit,
            throttling_burst_limit=settings.throttling_burst_limit,
            kms_key_arn=key.arn,
            log_retention_days=settings.log_retention_days,
            tags=tags,
        ),
    )
    monitoring = Monitoring(
        "payments-monitoring",
        MonitoringArgs(
            names=names,
            region=settings.region,
            kms_key_arn=key.arn,
            alarm_email=settings.alarm_email,
            functions={name: function.name for name, function in functions.items()},
            tables={name: table.name for name, table in tables.items()},
            api_name=api.rest_api.name,
            stage_name=api.stage.stage_name,
            tags=tags,
        ),
    )
    outputs: dict[str, pulumi.Output[Any]] = {
        "kmsKeyArn": key.arn,
        "auditTrailArn": trail.arn,
        "bucketArns": pulumi.Output.from_input({n: b.arn for n, b in buckets.items()}),
        "bucketNames": pulumi.Output.from_input({n: b.bucket for n, b in buckets.items()}),
        "tableArns": pulumi.Output.from_input({n: t.arn for n, t in tables.items()}),
        "tableNames": pulumi.Output.from_input({n: t.name for n, t in tables.items()}),
        "lambdaArns": pulumi.Output.from_input({n: f.arn for n, f in functions.items()}),
        "functionNames": pulumi.Output.from_input({n: f.name for n, f in functions.items()}),
        "apiEndpoint": api.stage.invoke_url,
        "paymentUrl": pulumi.Output.concat(api.stage.invoke_url, "/payment"),
        "alarmTopicArn": monitoring.topic.arn,
        "dashboardName": monitoring.dashboard.dashboard_name,
        "migrationSummary": pulumi.Output.from_input(
            {
                "region": settings.region,
                "environment": settings.environment,
                "migratedFrom": settings.migrated_from,
                "migrationDate": settings.migration_date.isoformat(),
                "inventory": inventory.source,
                "resourceCounts": inventory.resource_counts,
            }
        ),
    }
    for name, value in outputs.items():
        pulumi.export(name, value)
    return outputs
