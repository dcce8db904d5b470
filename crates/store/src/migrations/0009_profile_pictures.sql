-- Version 9: profile pictures. The newest profile record of a person that carries a picture
-- (its file row, index 0, is in `files`); NULL when their newest profile has none.
ALTER TABLE profiles ADD COLUMN picture BLOB;
