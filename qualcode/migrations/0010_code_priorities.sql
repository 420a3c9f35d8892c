-- Schema 10: the thematic priorities a code serves (participation, inclusion, protection,
-- empowerment, recovery), a non-exclusive attribute of the code; empty for codes without.
ALTER TABLE codes ADD COLUMN priorities VARCHAR[];
