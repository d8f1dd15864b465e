"""Routes of customers: CRUD for members, and a search that is 304 until its result changes."""
from flask.views import MethodView
from sqlalchemy import or_, select

from pollfeed import ITEM_HEADERS, WRITE_DOC, Blueprint, resources

from ..auth import access
from ..auth.access import like, require_project
from ..extensions import db
from .models import Customer
from .schemas import CustomerList, CustomerListArgs, CustomerSchema, update_customer_schema

blp = Blueprint("customers", __name__, description="Customers, with search.")



def _matches(pattern):
    """The search clause: `pattern` (an ILIKE pattern) in first name, last name, "first last", email or phone."""
    full_name = Customer.first_name.concat(" ").concat(Customer.last_name)
    return or_(*(col.ilike(pattern, escape="\\") for col in
                 (Customer.first_name, Customer.last_name, full_name, Customer.email, Customer.phone)))


# The search's tag: the matching customers' ids, versions and stamps (on the poll path and in the view).
MATCHING = resources.Digest(
    lambda project_id, pattern, _user_id: select(Customer.id, Customer.version, Customer.stamp).where(
        Customer.project_id == project_id, _matches(pattern)),
    param="q", value=lambda q: like(q.strip() or q))




@blp.route("/projects/<project_id>/customers")
class Customers(MethodView):
    @blp.scoped_list(CustomerList, "project_id", query=CustomerListArgs, digest=MATCHING)
    def get(self, args, project_id):
        """List or search a project's customers.

        Without `q` the list is tagged by the project's watermark. With `q` the
        (weak) ETag is a digest of the matching customers' ids and versions: it
        moves when a customer that matches, or used to match, changes, and a
        conditional search is 304 otherwise.
        """
        stmt = select(Customer).where(Customer.project_id == project_id)
        if args["q"]:
            stmt = stmt.where(_matches(MATCHING.value(args["q"])))
        return resources.list_page(stmt, Customer, args)

    @blp.arguments(CustomerSchema)
    @blp.response(201, CustomerSchema, headers=ITEM_HEADERS)
    @blp.doc(responses={"404": {"description": "Missing or not readable"}})
    def post(self, data, project_id):
        """Add a customer."""
        require_project(project_id)
        return resources.create(Customer(project_id=project_id, **data), "/customers/{id}")


@blp.route("/customers/<customer_id>")
class CustomerItem(MethodView):
    @blp.item(CustomerSchema, Customer, id="customer_id")
    def get(self, customer):
        """Get a customer."""
        return resources.ok(customer)

    @blp.arguments(update_customer_schema)
    @blp.response(200, CustomerSchema, headers=ITEM_HEADERS)
    @blp.doc(responses=WRITE_DOC)
    def patch(self, data, customer_id):
        """Update a customer; every list and search shows it on its next poll."""
        customer = resources.write_item(Customer, access.readable, id=customer_id)
        resources.update(customer, data)
        resources.commit(customer)
        return resources.ok(customer)

    @blp.response(204)
    @blp.doc(responses=WRITE_DOC)
    def delete(self, customer_id):
        """Delete a customer."""
        customer = resources.write_item(Customer, access.readable, id=customer_id)
        db.session.delete(customer)
        resources.commit(customer)
