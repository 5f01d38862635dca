"""The collaboration pipeline (winning maps carried out and tracked) and the public observatory."""
