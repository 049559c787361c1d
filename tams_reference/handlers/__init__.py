"""HTTP handlers, one module per area: parse the request, call the store, format the answer."""
