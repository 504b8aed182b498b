DROP TABLE ticket_search_terms;
