from django.core.management.base import BaseCommand, CommandError

from lianban.audit.services import verify_chain


class Command(BaseCommand):
    help = "检查全程留痕哈希链的完整性，指出第一条被篡改的事件。"

    def handle(self, *args: object, **options: object) -> None:
        count, broken = verify_chain()
        if broken is not None:
            raise CommandError(
                f"留痕链在第 {count + 1} 条处断裂：事件 #{broken.id}（{broken.verb}）"
                "的内容或前序哈希与链不符。"
            )
        self.stdout.write(f"留痕链完整：共 {count} 条事件。")
