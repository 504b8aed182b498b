-- The shipped days are not told apart from the operator's once loaded: nothing is removed.
SELECT 1;
