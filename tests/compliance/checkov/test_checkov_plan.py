from __future__ import annotations

import dataclasses
import json
from typing import Any

from compliance.checkov.plan import TerraformPlan, to_terraform_plan
from compliance.checkov.types import terraform_type
from compliance.model.graph import SECRET_SIGNATURE, SECRET_SIGNATURE_KEY, UNKNOWN, ResourceGraph
from tests.compliance.checkov.checkov_graphs import TAGS, GraphBuilder, storage_graph


def planned(plan: TerraformPlan, name: str) -> dict[str, Any]:
    return next(
        r for r in plan.document["planned_values"]["root_module"]["resources"] if r["name"] == name
    )


def expressions(plan: TerraformPlan, name: str) -> dict[str, Any]:
    resources = plan.document["configuration"]["root_module"]["resources"]
    found: dict[str, Any] = next(r for r in resources if r["name"] == name)["expressions"]
    return found


def test_every_resource_of_the_stack_is_converted_to_its_terraform_type(
    stack_graph: ResourceGraph, stack_plan: TerraformPlan
) -> None:
    expected = sorted((terraform_type(r.type), r.urn) for r in stack_graph.custom_resources())
    converted = sorted(
        (address.split(".")[0], r.urn)
        for address, r in stack_plan.resources.items()
        if not r.is_provider
    )
    assert converted == expected
    assert stack_plan.skipped == ()
    assert stack_plan.converted == len(stack_graph.custom_resources())


def test_no_unknown_or_placeholder_reaches_the_plan(stack_plan: TerraformPlan) -> None:
    text = json.dumps(stack_plan.document)
    assert UNKNOWN not in text
    assert "[unknown" not in text


def test_nested_objects_become_blocks_and_lists_of_blocks_take_singular_names(
    stack_plan: TerraformPlan,
) -> None:
    lifecycle = planned(stack_plan, "bucket-payment-receipts-lifecycle")["values"]
    rule = lifecycle["rule"][0]
    assert isinstance(rule["transition"], list)
    assert rule["transition"][0]["storage_class"]
    versioning = planned(stack_plan, "bucket-payment-receipts-versioning")["values"]
    assert versioning["versioning_configuration"] == [{"status": "Enabled"}]
    settings = planned(stack_plan, "payments-api-method-settings")["values"]["settings"]
    assert settings[0]["logging_level"] == "INFO"
    web_acl = planned(stack_plan, "payments-waf")["values"]
    names = [
        r["statement"][0]["managed_rule_group_statement"][0]["name"]
        for r in web_acl["rule"]
        if r["statement"][0].get("managed_rule_group_statement")
    ]
    assert "AWSManagedRulesKnownBadInputsRuleSet" in names


def test_maps_keep_their_keys_and_tags_all_adds_provider_default_tags() -> None:
    graph = GraphBuilder(default_tags={"CostCentre": "payments"})
    graph.add(
        "aws:lambda/function:Function",
        "fn",
        {
            "runtime": "python3.12",
            "environment": {"variables": {"TABLE_NAME": "t", "KEY_ID": UNKNOWN}},
            "tags": TAGS,
        },
    )
    values = planned(to_terraform_plan(graph.build()), "fn")["values"]
    assert values["environment"] == [{"variables": {"TABLE_NAME": "t"}}]
    assert values["tags"] == TAGS
    assert values["tags_all"] == {"CostCentre": "payments", **TAGS}


def test_untaggable_resources_get_no_tags_all() -> None:
    plan = to_terraform_plan(storage_graph())
    assert "tags_all" not in planned(plan, "bucket-receipts-versioning")["values"]
    assert planned(plan, "bucket-receipts")["values"]["tags_all"]


def test_secrets_are_dropped_not_passed_on() -> None:
    graph = GraphBuilder()
    graph.add(
        "aws:lambda/function:Function",
        "fn",
        {
            "environment": {
                "variables": {
                    "API_TOKEN": {SECRET_SIGNATURE_KEY: SECRET_SIGNATURE, "plaintext": '"s3cr3t"'}
                }
            }
        },
    )
    text = json.dumps(to_terraform_plan(graph.build()).document)
    assert "s3cr3t" not in text


def test_property_dependencies_become_references_where_the_linked_value_sits() -> None:
    plan = to_terraform_plan(storage_graph())
    encryption = expressions(plan, "bucket-receipts-encryption")
    assert encryption["bucket"]["references"] == [
        "aws_s3_bucket.bucket-receipts.id",
        "aws_s3_bucket.bucket-receipts",
    ]
    by_default = encryption["rule"][0]["apply_server_side_encryption_by_default"][0]
    assert by_default["kms_master_key_id"]["references"][1] == "aws_kms_key.payments-key"
    assert "bucket" not in planned(plan, "bucket-receipts-encryption")["values"]


def test_an_unknown_value_refers_to_the_id_not_to_an_output_that_is_unknown_too(
    stack_plan: TerraformPlan,
) -> None:
    encryption = expressions(stack_plan, "bucket-payment-documents-encryption")
    assert encryption["bucket"]["references"] == [
        "aws_s3_bucket.bucket-payment-documents.id",
        "aws_s3_bucket.bucket-payment-documents",
    ]


def test_a_known_value_passed_through_from_a_linked_resource_becomes_its_reference(
    stack_plan: TerraformPlan,
) -> None:
    settings = expressions(stack_plan, "payments-api-method-settings")
    assert settings["stage_name"]["references"] == [
        "aws_api_gateway_stage.payments-api-stage.stage_name",
        "aws_api_gateway_stage.payments-api-stage",
    ]
    assert settings["rest_api_id"]["references"][1] == "aws_api_gateway_rest_api.payments-api"


def test_resources_pulumi_renames_take_their_terraform_attribute_names(
    stack_plan: TerraformPlan,
) -> None:
    assert (
        "alarm_name"
        in planned(stack_plan, "payments-monitoring-payment-processor-error-rate")["values"]
    )
    assert "function_name" in expressions(stack_plan, "payments-api-invoke-permission")
    assert "deployment_id" in expressions(stack_plan, "payments-api-stage")


def test_names_become_unique_terraform_identifiers() -> None:
    graph = GraphBuilder()
    graph.add("aws:cloudwatch/logGroup:LogGroup", "/aws/lambda/fn", {"retentionInDays": 365})
    graph.add("aws:cloudwatch/logGroup:LogGroup", "aws/lambda/fn", {"retentionInDays": 365})
    graph.add("aws:cloudwatch/logGroup:LogGroup", "1-logs", {"retentionInDays": 365})
    addresses = sorted(
        a for a, r in to_terraform_plan(graph.build()).resources.items() if not r.is_provider
    )
    assert addresses == [
        "aws_cloudwatch_log_group.aws_lambda_fn",
        "aws_cloudwatch_log_group.aws_lambda_fn_2",
        "aws_cloudwatch_log_group.r_1-logs",
    ]


def test_resources_of_other_providers_are_listed_as_skipped() -> None:
    graph = GraphBuilder()
    other = graph.add("random:index/randomPet:RandomPet", "pet", {})
    plan = to_terraform_plan(graph.build())
    assert plan.skipped == (other,)
    assert plan.converted == 0


def test_a_deployed_stacks_known_linked_value_becomes_a_reference_to_the_output_it_equals() -> None:
    graph = GraphBuilder()
    bucket = graph.add("aws:s3/bucket:Bucket", "receipts", {"bucket": "receipts-prod"})
    deployed = dataclasses.replace(
        bucket, outputs={"id": "receipts-prod", "arn": "arn:aws:s3:::receipts-prod"}
    )
    graph.resources[graph.resources.index(bucket)] = deployed
    graph.add(
        "aws:s3/bucketPolicy:BucketPolicy",
        "receipts-policy",
        {"bucket": "receipts-prod", "policy": '{"Version": "2012-10-17", "Statement": []}'},
        {"bucket": [deployed], "policy": [deployed]},
    )
    plan = to_terraform_plan(graph.build())
    assert expressions(plan, "receipts-policy") == {
        "bucket": {"references": ["aws_s3_bucket.receipts.id", "aws_s3_bucket.receipts"]}
    }
    values = planned(plan, "receipts-policy")["values"]
    assert "bucket" not in values
    assert values["policy"] == '{"Version": "2012-10-17", "Statement": []}'


def test_the_provider_shows_its_region_and_keeps_nested_settings_out() -> None:
    plan = to_terraform_plan(storage_graph())
    provider = plan.document["configuration"]["provider_config"]["aws"]
    assert provider["expressions"] == {"region": {"constant_value": "eu-west-1"}}
    assert plan.resources["aws.default"].type == "pulumi:providers:aws"
