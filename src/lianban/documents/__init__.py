"""Printable official documents (收件回执, 补正告知书, …) rendered as PDF with embedded Chinese
fonts, ready to be sealed and signed later."""
