"""Tables and figures for people: the sweep summary printed at the end of a sweep."""
