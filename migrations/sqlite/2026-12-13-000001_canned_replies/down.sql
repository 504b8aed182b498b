DROP TABLE canned_replies;
