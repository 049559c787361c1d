"""`tams-conformance audit`: a read-only integrity audit of a live TAMS store.

- `findings`: the finding types (stable names, levels, likely causes) and `Finding`;
- `readonly`: the GET/HEAD-only client and adapter, the rate limiter and the request budget;
- `state`: the SQLite working set and checkpoint (memory independent of the store's size);
- `walk`: the phases of the walk (flows, objects, collections, delete requests);
- `media`: size (or hash) of get_urls without downloading whole;
- `progress`: the tqdm bar on stderr; `report`: audit.json, audit.html, junit.xml;
- `command`: the CLI subcommand.
"""
