"""Geography with no knowledge of incidents: distances, service areas, the live responder index, AEDs."""
