-- Schema 9: the unit each document was segmented with (the project setting coding_unit
-- at its import): 'turn' or 'sentence'; NULL for segments an imported REFI project
-- brought with it. Documents stored before were segmented with the sentence rule.
ALTER TABLE documents ADD COLUMN coding_unit VARCHAR;
UPDATE documents SET coding_unit = 'sentence';
