--[[
callouts.lua -- Quarto callouts in one writer-neutral shape.

`::: {.callout-note}` (and -tip, -important, -warning, -caution) plus the kinds
the book's theme adds (metadata `quartowrap-callouts`, a JSON object kind -> default
title; the KCE theme adds `::: {.callout-key-findings}`) become

  Div(id, classes = {"callout", "callout-<type>", ...original classes},
      attributes = {callout-type = <type>, callout-title = <plain title>, ...})
    Div(classes = {"callout-title"}) [ Plain title inlines ]
    Div(classes = {"callout-body"})  [ body blocks ]

The title comes, as in Quarto, from the `title` attribute, else from a leading
heading inside the callout (which is then removed from the body), else from
the type's default ("Note", ..., or the theme's title).  Both the HTML and the typst
writers style this one structure, so the two outputs cannot drift apart.

Quarto's presentation options are kept for the writers:
  appearance="default|simple|minimal" -> class callout-style-<appearance>
  an explicit title (attribute or heading) -> class callout-titled
  icon="false"                         -> class no-icon
  collapse="true|false"                -> attribute collapse (HTML folds the body in
                                          <details>; print and PDF show it expanded)
]]

local stringify = pandoc.utils.stringify

local DEFAULT_TITLES = {
  note = "Note",
  tip = "Tip",
  important = "Important",
  warning = "Warning",
  caution = "Caution",
}

-- Kinds added by the theme (see assemble/book.py `_book_meta`).
local function theme_callouts(meta)
  local value = meta["quartowrap-callouts"]
  if value == nil then
    return nil
  end
  local extra = pandoc.json.decode(stringify(value), false)
  for kind, title in pairs(extra) do
    DEFAULT_TITLES[kind] = title
  end
  meta["quartowrap-callouts"] = nil -- internal: not left in the book's metadata
  return meta
end

local function words(text)
  local inlines = pandoc.Inlines({})
  for word in text:gmatch("%S+") do
    if #inlines > 0 then
      inlines:insert(pandoc.Space())
    end
    inlines:insert(pandoc.Str(word))
  end
  return inlines
end

local APPEARANCES = { default = true, simple = true, minimal = true }

local function callout_type(div)
  for _, class in ipairs(div.classes) do
    local kind = class:match("^callout%-(.+)$")
    if kind and DEFAULT_TITLES[kind] then
      return kind
    end
  end
  return nil
end

local function Div(div)
  if div.classes:includes("callout") and div.attributes["callout-type"] then
    return nil -- already processed
  end
  local kind = callout_type(div)
  if not kind then
    return nil
  end
  local body = pandoc.Blocks(div.content)
  local title
  local titled = true
  if div.attributes["title"] and div.attributes["title"] ~= "" then
    title = pandoc.read(div.attributes["title"], "markdown").blocks
    title = title[1] and title[1].content or pandoc.Inlines({})
  elseif #body > 0 and body[1].t == "Header" then
    title = body[1].content
    body:remove(1)
  else
    titled = false
    title = words(DEFAULT_TITLES[kind])
  end
  local classes = pandoc.List({ "callout" })
  for _, class in ipairs(div.classes) do
    if class ~= "callout" then
      classes:insert(class)
    end
  end
  local appearance = div.attributes["appearance"] or "default"
  if not APPEARANCES[appearance] then
    appearance = "default" -- Quarto's schema allows only these three
  end
  classes:insert("callout-style-" .. appearance)
  if titled then
    classes:insert("callout-titled")
  end
  if div.attributes["icon"] == "false" then
    classes:insert("no-icon")
  end
  -- A list of pairs in a fixed order (a Lua table's key order is not stable between
  -- runs, and the same book must give byte-identical pages).
  local attributes = {}
  for k, v in pairs(div.attributes) do
    if k ~= "title" and k ~= "callout-type" and k ~= "callout-title" then
      table.insert(attributes, { k, v })
    end
  end
  table.sort(attributes, function(a, b) return a[1] < b[1] end)
  table.insert(attributes, 1, { "callout-type", kind })
  table.insert(attributes, 2, { "callout-title", stringify(title) })
  return pandoc.Div({
    pandoc.Div({ pandoc.Plain(title) }, pandoc.Attr("", { "callout-title" })),
    pandoc.Div(body, pandoc.Attr("", { "callout-body" })),
  }, pandoc.Attr(div.identifier, classes, attributes))
end

return { { Meta = theme_callouts }, { Div = Div } }
