"""Clients signed in as a demo user (by username): a browser session, or an API token as other systems use."""

from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from branches.models import User


def user(name: str) -> User:
    return User.objects.get(username=name)


def browser(name: str) -> Client:
    client = Client()
    client.force_login(user(name))
    return client


def api(name: str) -> APIClient:
    return token_client(user(name))


def token_client(who: User) -> APIClient:
    """An API client with the user's token, as other internal systems call the API."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=who)[0].key}")
    return client
