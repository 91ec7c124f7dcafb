// placeholder: the sizes panel (built next)
"use strict";
