"""CSV import of value events and user signals: validated whole, then all rows post or none.

The file is stored with its ImportBatch and streamed twice (never held whole in memory):
pass 1 reads the header, counts rows and collects the codes and refs it mentions (resolved in a
few queries); pass 2 parses rows into specs and runs them through the posting engine in chunks
of CHUNK rows inside ONE DB transaction. Any error stops the writing (validation continues, so
the report lists every bad row) and rolls everything back; the batch is then `failed` and its
error report (CSV: row, column, message; row 1 is the header) can be downloaded.

    `ledger.services.import_start` / `import_post_start` are the entry: an upload is validated
    (and posted) within the request, or by a background task when it is large
    jobs.py       the background tasks of a batch, queued by their names after the commit
    batches.py    a batch's life: stored, validated, posted, failed (each with its audit row)
    run.py        one whole file validated (and written) chunk by chunk
    rows.py       the columns of a file and each row parsed into a spec
    resolve.py    the codes and refs a file mentions, resolved in a few queries
    report.py     the row-by-row error report
    progress.py   how far a background task got (shared through the cache)
    samples.py    the sample files, served with recent dates
"""
