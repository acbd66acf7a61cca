"""Print (creating it if needed) the REST API token of a user; the token acts with that user's role and branch."""

from django.core.management.base import BaseCommand, CommandError
from rest_framework.authtoken.models import Token

from branches.models import User


class Command(BaseCommand):
    help = "打印（必要时创建）某用户的 API 令牌：python manage.py api_token USERNAME"

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"找不到用户：{username}")
        if not user.is_active:
            raise CommandError(f"用户 {username} 已停用")
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
