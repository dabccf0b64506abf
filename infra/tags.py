"""The tags every taggable resource carries, passed explicitly as `tags=`."""

from collections.abc import Mapping

from infra.config import Settings


def stack_tags(settings: Settings) -> dict[str, str]:
    """`Environment`, `MigratedFrom`, `MigrationDate` (config, never today), `payments:tags`."""
    return {
        **settings.extra_tags,
        "Environment": settings.environment,
        "MigratedFrom": settings.migrated_from,
        "MigrationDate": settings.migration_date.isoformat(),
    }


def resource_tags(stack: Mapping[str, str], own: Mapping[str, str]) -> dict[str, str]:
    """A resource's inventory tags under the stack's, which always win."""
    return {**own, **stack}
