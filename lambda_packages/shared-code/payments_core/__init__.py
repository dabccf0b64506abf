"""Code both payment functions ship: validation, card-number detection, configuration, responses."""
