"""``plusone analyze``'s work, by step (the command itself is ``analyze_cmd``).

- ``read``: the CSV into columns (polars when the file is plain, else the csv module);
- ``checks``: the checks each row must pass, run on a column's distinct values;
- ``load``: read, check and score a file into a ``Caseload``;
- ``payloads``: the rules for everyone at once, then each client's JSON object,
  with ``propose``'s trace, over worker processes;
- ``summary``: the table and csv output, and the JSON document.
"""
