"""Make a new REST API token for a user and print it: the one time its key is shown.

The token acts with that user's role and branch. Running the command again replaces the token (the
old key stops working); `--revoke` removes it. The admin lists who holds a token, never the key.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from branches.models import User


class Command(BaseCommand):
    help = "为某用户生成新的 API 令牌并打印（仅此一次显示；旧令牌随即失效）：python manage.py api_token USERNAME [--revoke]"

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--revoke", action="store_true", help="撤销该用户的令牌，不生成新令牌")

    @transaction.atomic
    def handle(self, *args, username, revoke=False, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"找不到用户：{username}")
        Token.objects.filter(user=user).delete()
        if revoke:
            self.stderr.write(f"已撤销 {username} 的 API 令牌")
            return
        if not user.is_active:
            raise CommandError(f"用户 {username} 已停用")
        self.stdout.write(Token.objects.create(user=user).key)
