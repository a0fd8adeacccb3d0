"""People's names for a generated instance: workers (Asha Brimblecombe) and clients (Mrs A. Yeo).

One ``Names`` draws from one random generator for the whole organisation, so every name is unique.
"""

from __future__ import annotations

import random

FIRST_NAMES = (
    "Asha", "Ben", "Chloe", "Dan", "Ellie", "Femi", "Grace", "Harry", "Isla", "Jack", "Kasia",
    "Liam", "Maya", "Noah", "Olivia", "Priya", "Rhys", "Sophie", "Tom", "Una", "Vikram", "Wendy",
    "Yusuf", "Zoe", "Amir", "Bethany", "Callum", "Demi", "Ewan", "Freya", "Gemma", "Hannah",
    "Imran", "Jade", "Kieran", "Lucy", "Megan", "Nathan", "Orla", "Paige", "Rosie", "Sam",
    "Tasha", "Will", "Agnieszka", "Blessing", "Carys", "Darius", "Esther", "Joel",
)  # fmt: skip
SURNAMES = (
    "Ashworth", "Brimblecombe", "Chudleigh", "Davey", "Endacott", "Friend", "Gill", "Hext",
    "Isaac", "Jago", "Kingdon", "Luscombe", "Mudge", "Northcott", "Oxenham", "Pengelly",
    "Quick", "Rowe", "Squire", "Tucker", "Underhill", "Vosper", "Westcott", "Yeo", "Hooper",
    "Ellacott", "Stoneman", "Snell", "Heard", "Passmore", "Cole", "Harvey", "Mills", "Lang",
    "Bolt", "Gooding", "Skinner", "Pidgeon", "Coombe", "Widdicombe", "Tremlett", "Sanders",
)  # fmt: skip
INITIALS = "ABCDEFGHIJKLMNPRSTVW"


class Names:
    """Unique people's names, drawn from one generator for the whole organisation."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def worker(self) -> str:
        """A new worker's name."""
        for _ in range(1000):
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(SURNAMES)}"
            if name not in self.used:
                self.used.add(name)
                return name
        name = f"Worker {len(self.used) + 1}"
        self.used.add(name)
        return name

    def client(self, title: str | None = None, surname: str | None = None) -> str:
        """A new client's name (Mrs A. Smith)."""
        for _ in range(1000):
            t = title or self.rng.choice(("Mrs", "Mrs", "Mr", "Mr", "Ms", "Miss"))
            name = f"{t} {self.rng.choice(INITIALS)}. {surname or self.rng.choice(SURNAMES)}"
            if name not in self.used:
                self.used.add(name)
                return name
        name = f"Client {len(self.used) + 1}"
        self.used.add(name)
        return name
