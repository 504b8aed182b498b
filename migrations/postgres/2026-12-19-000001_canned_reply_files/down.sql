DROP TABLE canned_reply_files;
