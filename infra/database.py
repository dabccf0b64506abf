"""DynamoDB tables: on demand, point-in-time recovery, encrypted with the stack's key."""

from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.inventory import TableSpec


@dataclass(frozen=True, kw_only=True)
class TableArgs:
    spec: TableSpec
    physical_name: str
    kms_key_arn: pulumi.Input[str]
    tags: Mapping[str, str]
    protect: bool


class Table(pulumi.ComponentResource):
    """`payments:database:Table`."""

    table: aws.dynamodb.Table

    def __init__(
        self, name: str, args: TableArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("payments:database:Table", name, None, opts)
        self.table = aws.dynamodb.Table(
            name,
            name=args.physical_name,
            billing_mode="PAY_PER_REQUEST",
            hash_key=args.spec.hash_key,
            range_key=args.spec.range_key,
            attributes=[{"name": a.name, "type": a.type} for a in args.spec.attributes],
            point_in_time_recovery={"enabled": True},
            server_side_encryption={"enabled": True, "kms_key_arn": args.kms_key_arn},
            deletion_protection_enabled=args.protect,
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.register_outputs({"tableName": self.table.name, "tableArn": self.table.arn})
