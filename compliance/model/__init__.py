"""The tooling's shared model: errors, files, the resource graph, findings, controls, pack metadata,
type tokens, what the pulumi-aws SDK declares, and every Pulumi SDK internal behind its guard."""
