"""The account a customer runs themselves: the account page, passwords (Django's views), the email address."""
