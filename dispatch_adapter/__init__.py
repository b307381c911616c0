"""The CAD edge: authentication, payload mappings (native JSON, EIDO, CAP), webhook signing."""
