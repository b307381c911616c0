"""The admin console (/admin) and the reference responder client (/responder), as static pages."""
