"""Customer notifications: one more subscriber, mailing the customer when their order moves on.

It runs under the subscription runner next to the fulfillment process manager (checkpoint,
retries with backoff, dead letters, lag on the console) and keeps what it needs in the Django
database: per-order facts from OrderCreated, one record per event it decided about (the
deduplication key), and each customer's opt-out.
"""
