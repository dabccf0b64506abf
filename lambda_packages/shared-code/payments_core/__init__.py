"""What both payment functions ship: configuration, the request contract, card-number detection,
the API Gateway adapter, and the transaction and receipt stores the processor writes."""
