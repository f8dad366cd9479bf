from ninja import Router

router = Router(tags=["服务需求"])
