"""Microsoft Teams surface: Adaptive Cards from the neutral views, the app package, and the `/api/messages` front."""
