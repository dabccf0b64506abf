"""Small resource graphs shaped like the offline preview's: the stack resource first, component
resources, a default aws provider, inputs in camelCase, computed values unknown, and property
dependencies linking each input to the resources its value comes from."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compliance.model.graph import UNKNOWN, GraphResource, ResourceGraph

PROJECT_ROOT = Path(__file__).resolve().parents[3]
ACCEPTED_RISKS = PROJECT_ROOT / "config" / "accepted-risks.yaml"
PROJECT = "payments"
STACK = "prod"
PROVIDER_TYPE = "pulumi:providers:aws"
DEFAULT_TAGS = {"Owner": "platform"}
TAGS = {"Environment": "production"}


def urn(type_: str, name: str, parent_type: str | None = None) -> str:
    qualified = f"{parent_type}${type_}" if parent_type else type_
    return f"urn:pulumi:{STACK}::{PROJECT}::{qualified}::{name}"


@dataclass
class GraphBuilder:
    default_tags: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TAGS))
    resources: list[GraphResource] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.resources.append(
            GraphResource(
                urn=urn("pulumi:pulumi:Stack", f"{PROJECT}-{STACK}"),
                type="pulumi:pulumi:Stack",
                custom=False,
            )
        )
        self.provider = GraphResource(
            urn=urn(PROVIDER_TYPE, "default_7_29_0"),
            type=PROVIDER_TYPE,
            custom=True,
            inputs={
                "region": "eu-west-1",
                "defaultTags": json.dumps({"tags": self.default_tags}),
                "version": "7.29.0",
            },
            id=UNKNOWN,
        )
        self.resources.append(self.provider)

    def add(
        self,
        type_: str,
        name: str,
        inputs: dict[str, Any],
        links: dict[str, list[GraphResource]] | None = None,
        parent: GraphResource | None = None,
    ) -> GraphResource:
        resource = GraphResource(
            urn=urn(type_, name, parent.type if parent else None),
            type=type_,
            custom=True,
            inputs=inputs,
            parent=(parent or self.resources[0]).urn,
            dependencies=tuple(sorted({r.urn for rs in (links or {}).values() for r in rs})),
            property_dependencies={k: tuple(r.urn for r in rs) for k, rs in (links or {}).items()},
            provider=f"{self.provider.urn}::{UNKNOWN}",
        )
        self.resources.append(resource)
        return resource

    def component(self, type_: str, name: str) -> GraphResource:
        resource = GraphResource(
            urn=urn(type_, name), type=type_, custom=False, parent=self.resources[0].urn
        )
        self.resources.append(resource)
        return resource

    def build(self) -> ResourceGraph:
        return ResourceGraph(project=PROJECT, stack=STACK, resources=tuple(self.resources))


def storage_graph(*, linked: bool = True, encrypted: bool = True) -> ResourceGraph:
    """A KMS key and one bucket with versioning, default encryption, lifecycle and a public access
    block, each configuration linked to its bucket (or not, when `linked` is False)."""
    graph = GraphBuilder()
    key = graph.add("aws:kms/key:Key", "payments-key", {"enableKeyRotation": True, "tags": TAGS})
    component = graph.component("payments:storage:Bucket", "receipts")
    bucket = graph.add(
        "aws:s3/bucket:Bucket",
        "bucket-receipts",
        {"bucket": "receipts-prod", "tags": TAGS},
        parent=component,
    )

    def link(**links: list[GraphResource]) -> dict[str, list[GraphResource]]:
        return links if linked else {}

    graph.add(
        "aws:s3/bucketVersioning:BucketVersioning",
        "bucket-receipts-versioning",
        {"bucket": UNKNOWN, "versioningConfiguration": {"status": "Enabled"}},
        link(bucket=[bucket]),
        component,
    )
    if encrypted:
        graph.add(
            "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
            "bucket-receipts-encryption",
            {
                "bucket": UNKNOWN,
                "rules": [
                    {
                        "applyServerSideEncryptionByDefault": {
                            "sseAlgorithm": "aws:kms",
                            "kmsMasterKeyId": UNKNOWN,
                        },
                        "bucketKeyEnabled": True,
                    }
                ],
            },
            link(bucket=[bucket], rules=[key]),
            component,
        )
    graph.add(
        "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
        "bucket-receipts-lifecycle",
        {
            "bucket": UNKNOWN,
            "rules": [
                {
                    "id": "archive",
                    "status": "Enabled",
                    "filter": {},
                    "transitions": [{"days": 90, "storageClass": "GLACIER"}],
                    "abortIncompleteMultipartUpload": {"daysAfterInitiation": 7},
                }
            ],
        },
        link(bucket=[bucket]),
        component,
    )
    graph.add(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "bucket-receipts-public-access-block",
        {
            "bucket": UNKNOWN,
            "blockPublicAcls": True,
            "blockPublicPolicy": True,
            "ignorePublicAcls": True,
            "restrictPublicBuckets": True,
        },
        link(bucket=[bucket]),
        component,
    )
    return graph.build()
