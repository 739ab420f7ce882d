"""Small venue-neutral helpers shared by every layer: back-off and clocks."""
