"forty-two"
