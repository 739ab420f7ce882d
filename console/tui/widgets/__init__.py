"""The widgets of the screens: orders table, ticket, side control, depth ladder, trades, status pane, header."""
