"""Standard CAD payloads mapped onto the one intake: pure functions from the request body to a
`CadMessage` (report, restate, update, cancel or close an incident), each failing with a
`MappingError` that names the document's field."""

from dispatch_adapter.mappings.cap import map_cap, read_cap
from dispatch_adapter.mappings.eido import map_eido, read_eido
from dispatch_adapter.mappings.errors import MappingError
from dispatch_adapter.mappings.message import Action, CadMessage

__all__ = ["Action", "CadMessage", "MappingError", "map_cap", "map_eido", "read_cap", "read_eido"]
