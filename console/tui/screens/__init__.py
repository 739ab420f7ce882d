"""The screens: the main trading screen, the account views, the dialogs and help."""
