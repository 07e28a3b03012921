"""The project's configuration: settings, the root URLconf and the WSGI entry point. The
product itself is in tracker/ and therapies/."""
