"""Clinical free text: tokenisation, abbreviations, lab names, de-identification, screening."""
