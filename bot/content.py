"""The fun commands' lines. Plain data: add to the lists freely."""

from __future__ import annotations

GREETINGS = (
    "Welcome to GameConnect! Grab a controller, the lobby is waiting. 🎮",
    "Good to see you! Ready to climb some leaderboards? 🏆",
    "Hello there! Type `!help` to see what I can do.",
    "GG for showing up! Try `!joke`, or `!countdown 5` before the next match. 😄",
    "Ahlan! Your squad has been expecting you. 🕹️",
    "Hey! Respawn complete, full health, no cooldowns. Let's go!",
)

JOKES = (
    "Why did the gamer bring a broom? To sweep the competition.",
    "I told my friend I'd stop playing video games… but I didn't want to quit cold turkey, so I just pressed pause.",
    "Why don't skeletons play online? They have no body to play with.",
    "My aim isn't bad. I'm just giving the other team a sporting chance.",
    "What's a gamer's favourite dance? The victory emote, obviously.",
    "Why was the computer cold at the LAN party? It left its Windows open.",
    "I'd tell you a joke about lag… but you'd get it later.",
    "Why did Mario break up with Peach? She kept going to other castles.",
    "How does a gamer fix a broken pizza? With tomato paste and a save point.",
    "Why are Minecraft players so good at relationships? They never lose their block-mates.",
    "My K/D ratio is a lot like my bank account: mostly D.",
    "Why did the noob cross the road? Because nobody told him the respawn point was on this side.",
    "I'm not saying I'm bad at FIFA, but my goalkeeper has asked for therapy.",
    "What did the controller say to the console? 'Stop pushing my buttons.'",
)

QUOTES = (
    "Believe in yourself. Someone has to, and it's clearly not your teammates.",
    "Every expert was once a beginner. Most of them were also less bad than you, but keep going.",
    "You miss 100% of the shots you don't take. You also miss most of the ones you do.",
    "Winners never quit. Quitters never win. You, however, have found a third way: reconnecting.",
    "Today is a great day to rank up. Statistically, it's also a great day to rank down.",
    "Your only limit is you. And your ping. And your hardware. Mostly your ping.",
    "Hard work beats talent when talent doesn't play. Luckily, talent is AFK.",
    "Don't watch the clock; do what it does. Keep going, slightly slower than everyone else.",
    "Dream big. Aim small. Miss anyway, but with confidence.",
    "The best time to start practising was ten years ago. The second best is after this nap.",
    "Success is not final, failure is not fatal. Losing streaks, though, are forever on your profile.",
    "Remember: it's not a loss, it's a learning experience. You've had a very educational week.",
)
