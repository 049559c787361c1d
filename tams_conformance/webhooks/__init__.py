"""Webhooks of a run: the receiver the kit listens on and the registrations it makes.

`receiver.Receiver` records deliveries (headers and body) per callback path; `kit.WebhookKit`
registers callbacks on a target, waits for their events and removes every registration at the
end of the check (also after Ctrl-C and the signals the kit treats like it).
"""

from tams_conformance.webhooks.receiver import Delivery, Receiver, Subscription

__all__ = ["Delivery", "Receiver", "Subscription"]
