"""Result records: what one cell measured, and the store they are written to."""
