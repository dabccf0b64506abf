"""The preview engine: the program under mocks, the policy pack over its analyzer protocol, the
policy findings and engine events, printing as `pulumi preview` does, and the thin CLI path."""
