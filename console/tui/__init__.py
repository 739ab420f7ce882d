"""The Textual app: the trading screen, its dialogs and account views, widgets, messages and themes."""
