-- Schema 5: password accounts. An account is a coder with a password hash
-- (scrypt$n$r$p$salt_hex$hash_hex); coders without one cannot sign in with a password.
ALTER TABLE coders ADD COLUMN password_hash VARCHAR;
