"""Standard CAD payloads mapped onto the one intake: pure functions from the request body to an
`IncidentReport`, each failing with a `MappingError` that names the document's field."""

from dispatch_adapter.mappings.cap import map_cap
from dispatch_adapter.mappings.eido import map_eido
from dispatch_adapter.mappings.errors import MappingError

__all__ = ["MappingError", "map_cap", "map_eido"]
