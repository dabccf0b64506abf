"""Alarms that notify a KMS-encrypted SNS topic, and the stack's dashboard."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from infra.naming import Names

PERIOD_SECONDS = 300
# Operations the functions run (`ThrottledRequests` is reported per operation).
THROTTLED_OPERATIONS = ("GetItem", "PutItem", "UpdateItem", "DeleteItem")


@dataclass(frozen=True, kw_only=True)
class MonitoringArgs:
    names: Names
    region: str
    kms_key_arn: pulumi.Input[str]
    alarm_email: str | None
    functions: Mapping[str, pulumi.Output[str]]
    """Inventory function name -> deployed function name."""
    tables: Mapping[str, pulumi.Output[str]]
    """Inventory table name -> deployed table name."""
    api_name: pulumi.Output[str]
    stage_name: pulumi.Output[str]
    tags: Mapping[str, str]


Query = aws.cloudwatch.MetricAlarmMetricQueryArgsDict


def _metric(
    query_id: str,
    namespace: str,
    name: str,
    stat: str,
    dimensions: Mapping[str, pulumi.Input[str]],
    *,
    return_data: bool = False,
) -> Query:
    return {
        "id": query_id,
        "return_data": return_data,
        "metric": {
            "namespace": namespace,
            "metric_name": name,
            "stat": stat,
            "period": PERIOD_SECONDS,
            "dimensions": dict(dimensions),
        },
    }


def _expression(expression: str, label: str) -> Query:
    return {"id": "result", "expression": expression, "label": label, "return_data": True}


def error_rate_queries(function_name: pulumi.Input[str]) -> list[Query]:
    """Errors / Invocations in percent: 0 when the function was not invoked."""
    dimensions = {"FunctionName": function_name}
    return [
        _metric("errors", "AWS/Lambda", "Errors", "Sum", dimensions),
        _metric("invocations", "AWS/Lambda", "Invocations", "Sum", dimensions),
        _expression("IF(invocations > 0, 100 * errors / invocations, 0)", "Error rate (%)"),
    ]


def throttle_queries(table_name: pulumi.Input[str]) -> list[Query]:
    """Every throttle on a table: read and write throttle events, throttled requests."""
    table = {"TableName": table_name}
    return [
        _metric("reads", "AWS/DynamoDB", "ReadThrottleEvents", "Sum", table),
        _metric("writes", "AWS/DynamoDB", "WriteThrottleEvents", "Sum", table),
        *(
            _metric(
                f"requests_{operation.lower()}",
                "AWS/DynamoDB",
                "ThrottledRequests",
                "Sum",
                {**table, "Operation": operation},
            )
            for operation in THROTTLED_OPERATIONS
        ),
        _expression("SUM(FILL(METRICS(), 0))", "Throttled reads, writes and requests"),
    ]


def api_error_rate_queries(
    status: str, api_name: pulumi.Input[str], stage_name: pulumi.Input[str]
) -> list[Query]:
    """The share of requests answered 4XX or 5XX (the Average of API Gateway's 0/1 metric)."""
    dimensions = {"ApiName": api_name, "Stage": stage_name}
    return [
        _metric("rate", "AWS/ApiGateway", f"{status}Error", "Average", dimensions, return_data=True)
    ]


class Monitoring(pulumi.ComponentResource):
    """`payments:monitoring:Monitoring`: topic, alarms per function, table and API, dashboard."""

    topic: aws.sns.Topic
    dashboard: aws.cloudwatch.Dashboard

    def __init__(
        self, name: str, args: MonitoringArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("payments:monitoring:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(args.tags)
        self.topic = aws.sns.Topic(
            f"{name}-alarms",
            name=args.names.stack_scoped("alarms"),
            kms_master_key_id=args.kms_key_arn,
            tags=tags,
            opts=child,
        )
        if args.alarm_email:
            aws.sns.TopicSubscription(
                f"{name}-alarms-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=args.alarm_email,
                opts=child,
            )

        def alarm(
            kind: str,
            subject: str,
            description: str,
            queries: list[Query],
            threshold: float,
        ) -> None:
            aws.cloudwatch.MetricAlarm(
                f"{name}-{subject}-{kind}",
                name=args.names.alarm(kind, subject),
                alarm_description=description,
                metric_queries=queries,
                comparison_operator="GreaterThanThreshold",
                threshold=threshold,
                evaluation_periods=1,
                treat_missing_data="notBreaching",
                alarm_actions=[self.topic.arn],
                ok_actions=[self.topic.arn],
                tags=tags,
                opts=child,
            )

        for function, function_name in args.functions.items():
            alarm(
                "error-rate",
                function,
                f"Lambda {function}: more than 1% of invocations failed in 5 minutes",
                error_rate_queries(function_name),
                1.0,
            )
        for table, table_name in args.tables.items():
            alarm(
                "throttles",
                table,
                f"DynamoDB {table}: requests were throttled",
                throttle_queries(table_name),
                0.0,
            )
        for status, share in (("4XX", 0.05), ("5XX", 0.01)):
            alarm(
                f"{status.lower()}-rate",
                "payment-api",
                f"API: more than {share:.0%} of requests answered {status} in 5 minutes",
                api_error_rate_queries(status, args.api_name, args.stage_name),
                share,
            )
        self.dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=args.names.stack_scoped("dashboard"),
            dashboard_body=dashboard_body(args),
            opts=child,
        )
        self.register_outputs({"topicArn": self.topic.arn})


def dashboard_body(args: MonitoringArgs) -> pulumi.Output[str]:
    def widget(title: str, metrics: Sequence[Sequence[object]], stat: str) -> object:
        return {
            "type": "metric",
            "width": 12,
            "height": 6,
            "properties": {
                "title": title,
                "region": args.region,
                "stat": stat,
                "period": PERIOD_SECONDS,
                "metrics": list(metrics),
            },
        }

    functions = list(args.functions.values())
    tables = list(args.tables.values())
    api = ["ApiName", args.api_name, "Stage", args.stage_name]
    return pulumi.Output.json_dumps(
        {
            "widgets": [
                widget(
                    "Lambda invocations",
                    [["AWS/Lambda", "Invocations", "FunctionName", f] for f in functions],
                    "Sum",
                ),
                widget(
                    "Lambda errors",
                    [["AWS/Lambda", "Errors", "FunctionName", f] for f in functions],
                    "Sum",
                ),
                widget(
                    "DynamoDB throttle events",
                    [
                        ["AWS/DynamoDB", metric, "TableName", t]
                        for t in tables
                        for metric in ("ReadThrottleEvents", "WriteThrottleEvents")
                    ],
                    "Sum",
                ),
                widget(
                    "API requests and errors",
                    [["AWS/ApiGateway", m, *api] for m in ("Count", "4XXError", "5XXError")],
                    "Sum",
                ),
                widget("API latency", [["AWS/ApiGateway", "Latency", *api]], "p99"),
            ]
        }
    )
