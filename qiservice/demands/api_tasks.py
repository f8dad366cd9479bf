from ninja import Router

router = Router(tags=["专项服务任务"])
