"""Request and response schemas of customers."""
from marshmallow import fields, validate

from pollfeed import PageArgs, VersionedSchema, list_schema

NAME = validate.Length(min=1, max=100)


class CustomerSchema(VersionedSchema):
    project_id = fields.String(dump_only=True)
    first_name = fields.String(required=True, validate=NAME)
    last_name = fields.String(required=True, validate=NAME)
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))
    phone = fields.String(allow_none=True, validate=[
        validate.Length(max=40), validate.Regexp(r"^[0-9+()./ -]*$", error="Digits, spaces and + ( ) . / - only.")])
    notes = fields.String(allow_none=True, validate=validate.Length(max=20000))


class CustomerListArgs(PageArgs):
    q = fields.String(load_default=None, validate=validate.Length(min=1, max=200),
                      metadata={"description": "search first name, last name, full name, email and phone"})


customer_schema = CustomerSchema()
update_customer_schema = CustomerSchema(partial=True)
CustomerList = list_schema(CustomerSchema, "CustomerList")
