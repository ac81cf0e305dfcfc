"""Turning what a user brings (a file, a PDF, a web address) into text and stated metadata, before storing."""
